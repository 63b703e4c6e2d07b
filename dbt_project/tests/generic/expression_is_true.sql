{#- Rows for which a boolean SQL expression does not hold (an invariant of a model's rows). -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
