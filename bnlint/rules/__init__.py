"""The rule registry."""

from bnlint.rules.bn001_moments_axes import MomentsAxes
from bnlint.rules.bn002_param_shape import ParamShape
from bnlint.rules.bn003_bn_axis import BatchNormAxis
from bnlint.rules.bn004_data_format import DataFormat
from bnlint.rules.bn005_normalizer_string import NormalizerString
from bnlint.rules.bn006_separate_bn import SeparateBatchNorm

RULES = [MomentsAxes(), ParamShape(), BatchNormAxis(), DataFormat(), NormalizerString(), SeparateBatchNorm()]
BY_CODE = {r.code: r for r in RULES}
