"""qsdoctor: diagnoses Quiverstone's chained AWS access, link by link."""

__version__ = "0.1.0"

#: Quiverstone's production account: the principal that assumes the intermediate role.
QUIVERSTONE_PRODUCTION_ACCOUNT = "684035162433"
