//! The admin area: every role against every admin action, and the browser flows.
