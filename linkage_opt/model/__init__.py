"""The optimisation model built from a Scenario: eligibility (reach), the linear blocks, the formulation, disaggregation of merged providers."""
