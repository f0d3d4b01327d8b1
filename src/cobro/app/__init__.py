"""Use cases: each loads through a unit of work, asks the domain, stores the result and returns."""
