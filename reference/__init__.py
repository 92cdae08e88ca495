"""The shipped reference tables (package data: rulesets.toml and one folder per ruleset)."""
