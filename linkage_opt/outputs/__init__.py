"""Files written from a plan: the plan's outputs (writing), the report, the workbook and action sheets, the input template."""
