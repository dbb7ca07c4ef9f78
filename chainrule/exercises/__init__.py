"""`chainrule exercises`: worksheets of chain-rule exercises and their answer keys.

`generate` draws well-posed exercises from the engine, `sheets` turns them into the worksheet,
the answer key and answers.json (with `sheet.css` to print them), `command` is the CLI.
"""
