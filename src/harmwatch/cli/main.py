"""The `harmwatch` command. Thin: every verb calls a library function and prints its result."""

from __future__ import annotations

import typer

from . import admin, data, demo, evaluation, serve, where, where_plans

app = typer.Typer(
    name="harmwatch",
    help="Drug-harm analytics for UK police forces, PCCs and drug partnerships.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ingest")(data.ingest_command)
app.command("status")(data.status_command)
app.command("hotspots")(where.hotspots_command)
app.command("emerging-hotspots")(where.emerging_command)
app.command("forecast-eval")(where.forecast_eval_command)
app.command("areas")(where_plans.areas_command)
app.command("patrol-plan")(where_plans.patrol_plan_command)
app.command("evaluate")(evaluation.evaluate_command)
app.command("change")(evaluation.change_command)
app.command("demo")(demo.demo_command)
app.command("serve")(serve.serve_command)

app.add_typer(admin.users_app, name="users")
app.add_typer(admin.audit_app, name="audit")


if __name__ == "__main__":
    app()
