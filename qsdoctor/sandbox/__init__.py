"""The sandbox: a three-account AWS world on moto, served on loopback, that acts like AWS.

moto does not evaluate trust policies or External IDs and has no CloudTrail
LookupEvents. The sandbox server wraps moto's WSGI app in a middleware that
answers AssumeRole from a scenario's hand-written decision table (`gate`) and
LookupEvents from hand-written CloudTrail records (`trail`); everything else is
moto. `qsdoctor demo`, the end-to-end tests and the benchmarks share it.

Importing this package needs the `demo` extra (moto, werkzeug) only for `server`
and `world`; `scenarios`, `gate` and `trail` are plain data and logic.
"""
