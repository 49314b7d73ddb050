"""Field work: invitations and their e-mails, the field period, earlier waves' responses."""
