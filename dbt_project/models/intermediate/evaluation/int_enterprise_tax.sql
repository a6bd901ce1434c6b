{#- Counted tax per enterprise and year, aggregated in one pass before any join (province scale:
    ~15M payment rows a year). R-TAX-1: Σ amount over the counted tax codes (ref_tax_codes.counted,
    the 13 of [S2] §四) for rows of year file Y with paid_on in Y and not deferred, plus deferred rows
    whose belongs_to is in Y; reversals (negative) count; other codes never count.
    R-TAX-2: plus restorations preferential_refund + export_adjustment + construction_input_vat (the
    last only when audit_certified). Money already in 万元 (R-UNIT-2, staging). -#}

with counted_codes as (
    select cast(tax_code as {{ dbt.type_string() }}) as tax_code
    from {{ ref('ref_tax_codes') }}
    where counted
),

paid as (
    select
        payments.year,
        payments.uscc,
        {{ exact_sum('payments.amount_wan') }} as tax_paid_wan,
        count(*) as tax_records
    from {{ ref('stg_tax__payments') }} as payments
    inner join counted_codes on counted_codes.tax_code = payments.tax_code
    where (not payments.deferred and extract(year from payments.paid_on) = payments.year)
       or (payments.deferred and extract(year from payments.belongs_to) = payments.year)
    group by payments.year, payments.uscc
),

restored as (
    select
        year,
        uscc,
        {{ exact_sum('amount_wan') }} as tax_restored_wan
    from {{ ref('stg_tax__restorations') }}
    where restoration_kind in ('preferential_refund', 'export_adjustment')
       or (restoration_kind = 'construction_input_vat' and audit_certified)
    group by year, uscc
),

keys as (
    select year, uscc from paid
    union
    select year, uscc from restored
)

select
    keys.year,
    keys.uscc,
    coalesce(paid.tax_paid_wan, 0) as tax_paid_wan,
    coalesce(restored.tax_restored_wan, 0) as tax_restored_wan,
    coalesce(paid.tax_paid_wan, 0) + coalesce(restored.tax_restored_wan, 0) as tax_wan,
    coalesce(paid.tax_records, 0) as tax_records
from keys
left join paid on paid.year = keys.year and paid.uscc = keys.uscc
left join restored on restored.year = keys.year and restored.uscc = keys.uscc
