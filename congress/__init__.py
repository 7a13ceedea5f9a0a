"""Domain core of the township congress session orchestrator. Never imports Prefect."""
