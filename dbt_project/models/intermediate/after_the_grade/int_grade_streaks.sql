{#- R-MEASURE-0: how many consecutive data years (this one included) each graded subject has held its
    final grade. Years must follow each other: a year without a grade (not evaluated, excluded) breaks
    the run. Gaps-and-islands: within one subject and grade, year - row_number is constant along a run. -#}

with graded as (
    select grades.year, keys.subject_key, grades.grade
    from {{ ref('int_grades') }} as grades
    inner join {{ ref('int_subject_keys') }} as keys
        on keys.year = grades.year and keys.subject_id = grades.subject_id
    where grades.grade is not null
),

islands as (
    select
        graded.*,
        year - row_number() over (partition by subject_key, grade order by year) as island
    from graded
)

select
    year,
    subject_key,
    grade,
    cast(row_number() over (partition by subject_key, grade, island order by year) as integer) as consecutive_years
from islands
