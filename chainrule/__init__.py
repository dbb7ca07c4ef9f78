"""chainrule's applications: the `chainrule` command line (chainrule.cli) and, later, the live lab.

The top floor of three: `chainrule` imports `nn` and `autograd`, never the other way round.
Nothing is imported here, so that the console script starts with the standard library alone
and a Ctrl-C during start-up is caught by chainrule.cli.main (see its NOTE on start-up).
"""
