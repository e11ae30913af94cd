"""双报到: party members and volunteers registered with a community take the small tasks.

The registry (``registry.py``), micro-tasks from the case desk and the proactive tasks with
their claims and check-in codes (``tasks.py``), walking distance on the audit's network
(``matching.py``) and suggestions (``suggest.py``), the hours ledger and reports
(``ledger.py``, ``reports.py``); tables in ``models.py``. See ``docs/volunteers.md``.
"""
