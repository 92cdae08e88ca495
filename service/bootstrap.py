"""The composition root: settings → reference data, policy → one ClaimProcessor."""

from service.adapters.policy_file import load_policy
from service.adapters.reference_files import load_reference
from service.config import EngineSettings
from service.processing import ClaimProcessor, Limits


def build_processor(settings: EngineSettings | None = None) -> ClaimProcessor:
    settings = settings or EngineSettings()
    reference = load_reference(official_dir=settings.reference_dir)
    policy = load_policy(settings.policy_file)
    return ClaimProcessor(reference, policy, Limits(max_event_bytes=settings.max_event_bytes))
