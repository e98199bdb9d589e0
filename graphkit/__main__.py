from graphkit.cli import run

run()
