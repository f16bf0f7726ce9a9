{
    "name": "Dunning Escalation with Job Queue",
    "summary": "Spread the nightly dunning run over queue_job's workers, a job per "
    "batch of customers",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "AGPL-3",
    "author": "dunning_escalation developers",
    "website": "https://github.com/dunning-escalation/dunning_escalation",
    "depends": ["dunning_escalation", "queue_job"],
    "data": ["data/queue_job_data.xml"],
    "auto_install": True,
    "installable": True,
}
