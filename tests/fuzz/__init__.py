"""Protocol fuzzing (issue 7): a state machine against a model of real Flux,
malformed-input campaigns, and resource checks.  ``make test`` runs them with
the ``ci`` hypothesis profile, ``make fuzz`` with the long ``fuzz`` one."""
