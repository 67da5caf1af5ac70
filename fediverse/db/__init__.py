"""The only modules that build SQL: engine set-up, migrations, and query functions per aggregate."""
