from django.core.management.base import BaseCommand, CommandError

from respondents.draws import DrawError, sample_draw
from respondents.models import Register
from respondents.sampling import ALLOCATIONS


def parse_fixed(text: str) -> dict[str, int]:
    """ "Skåne=10,Norr / Kommun=5" -> {"Skåne": 10, "Norr / Kommun": 5}.

    The last "=" of each item separates the number, so labels may contain "=" but not ",".
    """
    fixed: dict[str, int] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        label, sep, number = item.rpartition("=")
        label = label.strip()
        if not sep or not label:
            raise CommandError(f"--fixed wants label=number items, not “{item.strip()}”.")
        try:
            fixed[label] = int(number)
        except ValueError:
            raise CommandError(f"--fixed: “{number.strip()}” is not a whole number.") from None
    return fixed


class Command(BaseCommand):
    help = "Draw a reproducible random sample from a register, simple or stratified."

    def add_arguments(self, parser):
        parser.add_argument("--register", required=True)
        parser.add_argument("--size", type=int, required=True)
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument("--name", required=True, help="Name of the sample, e.g. 'Urval sept'.")
        parser.add_argument(
            "--keep-no-email",
            action="store_true",
            help="Keep members without an e-mail address in the frame (left out by default).",
        )
        parser.add_argument(
            "--strata",
            default="",
            metavar="VAR[,VAR]",
            help="One or two register variables to stratify by, e.g. 'region,sektor'.",
        )
        parser.add_argument(
            "--allocation",
            choices=ALLOCATIONS,
            default="proportional",
            help="How the sample is shared among strata (default: proportional).",
        )
        parser.add_argument(
            "--fixed",
            default=None,
            metavar="LABEL=N,LABEL=N",
            help="Numbers per stratum for --allocation fixed, e.g. 'Skåne / Kommun=40,...'.",
        )
        parser.add_argument(
            "--exclude-sampled-months",
            type=int,
            default=None,
            metavar="M",
            help="Leave out members sampled in any draw of this register in the last M months.",
        )
        parser.add_argument(
            "--exclude-sample",
            action="append",
            default=[],
            metavar="NAME",
            help="Leave out the members of this sample (repeatable).",
        )

    def handle(
        self,
        *args,
        register: str,
        size: int,
        seed: int,
        name: str,
        strata: str = "",
        allocation: str = "proportional",
        fixed: str | None = None,
        exclude_sampled_months: int | None = None,
        exclude_sample: list[str] | None = None,
        keep_no_email: bool = False,
        **options,
    ):
        try:
            reg = Register.objects.get(name=register)
        except Register.DoesNotExist:
            raise CommandError(f"No register named “{register}”.") from None
        variables = [v.strip() for v in strata.split(",") if v.strip()]
        try:
            draw = sample_draw(
                register=reg,
                name=name,
                size=size,
                seed=seed,
                strata=variables,
                allocation=allocation,
                fixed=parse_fixed(fixed) if fixed is not None else None,
                exclude_sampled_months=exclude_sampled_months,
                exclude_samples=exclude_sample or [],
                keep_no_email=keep_no_email,
            )
        except DrawError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Sample “{draw.name}”: {draw.target_size} of {draw.frame_size} members "
                f"(seed {draw.seed})."
            )
        )
        if "excluded" in draw.exclusions:
            self.stdout.write(f"Left out of the frame: {draw.exclusions['excluded']} members.")
        if draw.exclusions.get("no_email_kept"):
            self.stdout.write("Members without an e-mail address were kept in the frame.")
        if draw.strata:
            self.stdout.write(strata_table(draw.counts, title=" / ".join(draw.strata)))


def strata_table(counts: dict[str, dict[str, int]], title: str) -> str:
    """Per stratum: population, sample and inclusion probability, aligned as plain text."""
    header = (title, "population", "sample", "probability")
    rows = [
        (
            label,
            str(c["population"]),
            str(c["sample"]),
            f"{c['sample'] / c['population']:.4f}" if c["population"] else "–",
        )
        for label, c in counts.items()
    ]
    total_population = sum(c["population"] for c in counts.values())
    total_sample = sum(c["sample"] for c in counts.values())
    rows.append(("Total", str(total_population), str(total_sample), ""))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = []
    for i, row in enumerate([header, *rows]):
        if i == len(rows):  # a rule above the total
            lines.append("  ".join("-" * w for w in widths))
        numbers = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in numbers]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
