from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = _("Results")

    def ready(self) -> None:
        # Whatever changes a poll's estimates starts a new cache generation for it (after the
        # commit). Polls cannot tell results (results imports polls, never the other way), so
        # results listens.
        from django.db.models.signals import post_delete, post_save

        from polls.answering.responses import response_written
        from polls.fieldwork.response_import import responses_imported
        from polls.models import GridRow, Option, Poll, Question, Response

        from .models import ResultSettings

        for model, receiver in (
            (Response, _response),
            (Question, _by_poll_id),
            (ResultSettings, _by_poll_id),
            (Poll, _by_pk),
            (Option, _by_question),
            (GridRow, _by_question),
        ):
            for name, signal in (("save", post_save), ("delete", post_delete)):
                signal.connect(
                    receiver, sender=model, dispatch_uid=f"results-{model.__name__}-{name}"
                )
        responses_imported.connect(_imported, dispatch_uid="results-responses-imported")
        response_written.connect(_written, dispatch_uid="results-response-written")
        _connect_public_cache()


def _connect_public_cache() -> None:
    """A published page is served from the cache; a change of a page or a version forgets it."""
    from django.db.models.signals import post_delete, post_save, pre_save

    from . import public_cache
    from .models import ResultPage, ResultPageVersion

    pre_save.connect(public_cache.remember_slug, sender=ResultPage, dispatch_uid="public-pre")
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(
            public_cache.forget_page, sender=ResultPage, dispatch_uid=f"public-page-{name}"
        )
        signal.connect(
            public_cache.forget_version,
            sender=ResultPageVersion,
            dispatch_uid=f"public-version-{name}",
        )


def _changed(poll_id) -> None:
    from .caching import poll_changed_on_commit

    if poll_id is not None:
        poll_changed_on_commit(poll_id)


def _response(sender, instance, created=False, raw=False, **kwargs) -> None:
    """A new response is counted into the cached counts after the commit (when that can be done
    safely, see results.caching); an edited or deleted one starts a new generation."""
    if created and not raw and instance.poll_id is not None:
        from .caching import response_added_on_commit

        response_added_on_commit(instance.poll_id, instance.pk)
    else:
        _changed(instance.poll_id)


def _written(sender, poll_id, response_id, xid, **kwargs) -> None:
    """A member's submit, written in one statement (polls.answering.responses)."""
    from .caching import response_written_on_commit

    response_written_on_commit(poll_id, response_id, xid)


def _by_poll_id(sender, instance, **kwargs) -> None:
    _changed(instance.poll_id)


def _by_pk(sender, instance, **kwargs) -> None:
    _changed(instance.pk)


def _by_question(sender, instance, **kwargs) -> None:
    from polls.models import Question

    _changed(
        Question.objects.filter(pk=instance.question_id).values_list("poll_id", flat=True).first()
    )


def _imported(sender, poll, **kwargs) -> None:
    _changed(poll.pk)
