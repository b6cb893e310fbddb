"""A substring test that skips files which cannot contain a finding,
before any parse.  It must only ever say "no" when no rule could fire."""

_CONV = ("conv", "Conv")
_BN = ("moments", "atch_norm", "BatchNormalization")


def may_have_findings(text: str) -> bool:
    if "normalizer_fn" in text:
        return True
    return any(c in text for c in _CONV) and any(b in text for b in _BN)
