"""Durable work: the job kinds, queue interface, the one run_job() body, embedded and dramatiq backends, sweeper."""
