from ..voting.conftest import (  # noqa: F401
    config_text,
    letters,
    letters_snapshot,
    open_campaign,
    open_snapshot,
    sampled_campaign,
    sampled_snapshot,
)
