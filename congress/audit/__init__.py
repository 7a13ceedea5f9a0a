"""The tamper-evident audit trail: a hash chain per township, its verification, backup and restore."""
