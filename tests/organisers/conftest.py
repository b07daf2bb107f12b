from ..voting.conftest import config_text, letters, open_campaign, sampled_campaign  # noqa: F401
