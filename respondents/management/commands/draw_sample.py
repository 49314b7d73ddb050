from django.core.management.base import BaseCommand, CommandError

from respondents.draws import DrawError, sample_draw
from respondents.models import Register


class Command(BaseCommand):
    help = "Draw a reproducible random sample from a register."

    def add_arguments(self, parser):
        parser.add_argument("--register", required=True)
        parser.add_argument("--size", type=int, required=True)
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument("--name", required=True, help="Name of the sample, e.g. 'Urval sept'.")

    def handle(self, *args, register: str, size: int, seed: int, name: str, **options):
        try:
            reg = Register.objects.get(name=register)
        except Register.DoesNotExist:
            raise CommandError(f"No register named “{register}”.") from None
        try:
            draw = sample_draw(register=reg, name=name, size=size, seed=seed)
        except DrawError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Sample “{draw.name}”: {draw.target_size} of {draw.frame_size} members "
                f"(seed {draw.seed})."
            )
        )
