"""URI resolver plugins: each module's ``URIResolver`` handles the scheme named like the module.

fakeflux provides the schemes that apply to a local instance (``jobid``,
``pid``); ``slurm`` and ``lsf`` need those batch systems and are not provided.
"""
