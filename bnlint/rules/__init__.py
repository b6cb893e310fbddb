"""The rule registry."""

from bnlint.rules.bn001_moments_axes import MomentsAxes
from bnlint.rules.bn002_param_shape import ParamShape
from bnlint.rules.bn003_bn_axis import BatchNormAxis
from bnlint.rules.bn004_data_format import DataFormat
from bnlint.rules.bn005_normalizer_string import NormalizerString
from bnlint.rules.bn006_separate_bn import SeparateBatchNorm
from bnlint.rules.bn007_update_ops import UpdateOpsNotRun
from bnlint.rules.bn008_training_flag import TrainingFlagMissing
from bnlint.rules.bn009_momentum import PytorchMomentum
from bnlint.rules.bn010_conv_bias import RedundantConvBias

RULES = [
    MomentsAxes(),
    ParamShape(),
    BatchNormAxis(),
    DataFormat(),
    NormalizerString(),
    SeparateBatchNorm(),
    UpdateOpsNotRun(),
    TrainingFlagMissing(),
    PytorchMomentum(),
    RedundantConvBias(),
]
BY_CODE = {r.code: r for r in RULES}
