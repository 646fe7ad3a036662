//! Every page of every role, checked with axe-core and the Nu HTML checker.
