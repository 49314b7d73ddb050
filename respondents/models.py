"""Who the union's members are and who was sampled. Personal data lives here and nowhere else."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .sampling import ALLOCATIONS


class Register(models.Model):
    """A named snapshot of the membership frame, e.g. "Socionomer, medlemsregistret aug 2020"."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    variables = models.JSONField(
        _("variables"),
        default=list,
        blank=True,
        help_text=_("Declared member variables used for strata and breakdowns, e.g. region."),
    )
    population = models.JSONField(
        _("population counts"),
        default=dict,
        blank=True,
        help_text=_(
            "Members per value of each variable (and pair of variables) as of the last import: "
            "the weighting targets."
        ),
    )
    # How many erased members had each profile of attributes (JSON of the attributes -> count):
    # they still count in the population, though their rows no longer say what they were
    # (respondents.privacy). Detached from any row on purpose; reset by each import.
    erased_profiles = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        OPTED_OUT = "opted_out", _("opted out")
        BOUNCED = "bounced", _("bounced")
        LEFT = "left", _("left the union")
        # Personal data removed (respondents.privacy); the row stays for samples and counts.
        ERASED = "erased", _("erased")

    register = models.ForeignKey(Register, on_delete=models.CASCADE, related_name="members")
    number = models.CharField(_("membership number"), max_length=64)
    email = models.EmailField(_("e-mail"), blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    # Kept apart from the status, which an import may change (left, back again): a member who
    # opted out stays out, whatever later imports say (respondents.optouts).
    opted_out_at = models.DateTimeField(_("opted out"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)
    # Erased at the member's request: a keyed hash of the membership number, so that a later
    # import of the same number keeps them out (respondents.privacy.erasure_key). Empty for an
    # erasure by the retention rule, after which a re-import may add the number afresh.
    erasure_key = models.CharField(
        max_length=64, blank=True, default="", db_default="", db_index=True, editable=False
    )

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["register", "number"], name="member_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.register} #{self.number}"


class SampleDraw(models.Model):
    """One random draw from a register. Same frame + design + seed always gives the same members."""

    class Design(models.TextChoices):
        SIMPLE = "simple", _("simple random sample")
        STRATIFIED = "stratified", _("stratified random sample")

    class Allocation(models.TextChoices):
        """How a stratified sample is spread over its strata (respondents.sampling.allocate);
        a simple random sample has none ("")."""

        PROPORTIONAL = "proportional", _("proportional to the stratum's size")
        EQUAL = "equal", _("equal in every stratum")
        OPTIMAL = "optimal", _("optimal (Neyman): smallest overall margin of error")
        FIXED = "fixed", _("fixed numbers per stratum")

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="draws")
    name = models.CharField(_("name"), max_length=200, unique=True)
    design = models.CharField(
        _("design"), max_length=16, choices=Design.choices, default=Design.SIMPLE
    )
    strata = models.JSONField(_("stratification variables"), default=list, blank=True)
    allocation = models.CharField(
        _("allocation"), max_length=16, choices=Allocation.choices, blank=True
    )
    target_size = models.PositiveIntegerField(_("target size"))
    seed = models.BigIntegerField(_("seed"))
    frame_size = models.PositiveIntegerField(_("frame size"))
    counts = models.JSONField(
        _("counts per stratum"),
        default=dict,
        blank=True,
        help_text=_("Per stratum: population in the frame and members drawn."),
    )
    exclusions = models.JSONField(
        _("exclusions"),
        default=dict,
        blank=True,
        help_text=_(
            "Members left out of the frame besides the unreachable: sampled in the last months, "
            "or in the samples named."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("drawn"), auto_now_add=True)

    class Meta:
        verbose_name = _("sample draw")
        verbose_name_plural = _("sample draws")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(allocation__in=["", *ALLOCATIONS]),
                name="sampledraw_allocation_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SampleMember(models.Model):
    draw = models.ForeignKey(SampleDraw, on_delete=models.CASCADE, related_name="members")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="samplings")
    stratum = models.CharField(_("stratum"), max_length=200, blank=True)
    inclusion_probability = models.FloatField(_("inclusion probability"))

    class Meta:
        verbose_name = _("sampled member")
        verbose_name_plural = _("sampled members")
        constraints = [
            models.UniqueConstraint(fields=["draw", "member"], name="sample_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.draw}: {self.member}"


class ImportJob(models.Model):
    """One upload of a register export, imported in the background with visible progress."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("importing")
        DONE = "done", _("done")
        REFUSED = "refused", _("refused")
        FAILED = "failed", _("failed")

    register_name = models.CharField(_("register"), max_length=200)
    filename = models.CharField(_("file"), max_length=255)
    # The upload itself, kept until the import has run: no shared file storage is needed
    # between the web and worker containers.
    data = models.BinaryField(editable=False)
    valid_only = models.BooleanField(_("import the valid rows"), default=False)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.register_name}: {self.filename}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REFUSED, self.Status.FAILED)
