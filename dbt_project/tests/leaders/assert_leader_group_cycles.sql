-- Reports (warn, does not fail the build) every enterprise whose parent_uscc chain contains a cycle
-- or exceeds the depth bound (int_enterprise_group_roots). rules.csv §6: the registry's group
-- structure should be a forest; a cycle is a data error for 市场监管局 to correct. Until then the
-- smallest uscc of the cycle is used as the group root.
{{ config(severity='warn', tags=['leaders']) }}

select year, uscc, parent_uscc, group_root_uscc, cycle_detected, chain_truncated
from {{ ref('int_enterprise_group_roots') }}
where cycle_detected or chain_truncated
