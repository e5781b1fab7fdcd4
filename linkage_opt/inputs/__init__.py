"""What the planner reads: the config, the tables, their validation into a Scenario, earlier periods, AHP weights, synthetic scenarios."""
