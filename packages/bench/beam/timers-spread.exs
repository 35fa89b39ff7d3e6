# Workload 6, spread: each tick re-arms for its own phase, a period after it was due, so
# the ticks stay spread evenly over the period (see ticker.exs).
Code.require_file("bench.exs", __DIR__)
Code.require_file("ticker.exs", __DIR__)

Bench.main(&Timers.run(&1, :spread))
