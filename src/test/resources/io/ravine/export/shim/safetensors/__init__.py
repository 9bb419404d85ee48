"""A stand-in for the `safetensors` package where it is not installed (Debian ships none): only what the snippet
that `ravine export --format torch` prints uses, so the tests run that snippet as a user would."""
