"""A substring test that skips files which cannot contain a finding,
before any parse.  It must only ever say "no" when no rule could fire:
every rule needs a conv and a batch norm spelled in the file, except
BN005, which needs ``normalizer_fn``."""

_CONV = (b"conv", b"Conv")
_BN = (b"moments", b"atch_norm", b"BatchNormalization")


def may_have_findings(data: bytes) -> bool:
    if b"normalizer_fn" in data:
        return True
    return any(c in data for c in _CONV) and any(b in data for b in _BN)
