# Workload 6, bunched: each tick re-arms Process.send_after for a period from when it ran
# (see ticker.exs).
Code.require_file("bench.exs", __DIR__)
Code.require_file("ticker.exs", __DIR__)

Bench.main(&Timers.run(&1, :bunched))
