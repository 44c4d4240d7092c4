"""Per-org policy: keys packages declare (registry), values in force with presets and locks
(settings), and the record of changes for auditors (history)."""
from .history import export_xlsx, history, policy_at, shown  # noqa: F401
from .registry import (JIANFU_2024, PLATFORM, POLICY_KEYS, PRESETS, STRICTEST, ZHENGWU_2026,  # noqa: F401
                       PolicyKey, Preset, define_policy, forget_policy, is_bool, ordered_looser, true_is_looser,
                       weights_check, weights_looser)
from .settings import (apply_preset, clear_policy, effective_policy, forbidden_inputs,  # noqa: F401
                       installation_preset, local_settings, policy_value, policy_view, preset_effects,
                       preset_in_force, presets_view, resolve, set_policy, update_policy, value_problem)
