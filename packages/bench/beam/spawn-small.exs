# Workload 1: spawn idle processes (each blocks in `receive`): ms, and memory per process.
Code.require_file("bench.exs", __DIR__)

defmodule SpawnIdle do
  def run(count) do
    started = :counters.new(1, [:write_concurrency])
    before = Bench.memory()
    t0 = Bench.now_us()

    pids =
      for _ <- 1..count do
        spawn(fn ->
          :counters.add(started, 1, 1)

          receive do
            :stop -> :ok
          end
        end)
      end

    Bench.wait_until(fn -> :counters.get(started, 1) == count end)
    ms = (Bench.now_us() - t0) / 1000
    bytes = (Bench.memory() - before) / count
    Bench.kill_all(pids)
    [ms, bytes]
  end
end

size = Process.get(:spawn_size, "spawnSmall")
Bench.main(fn args -> SpawnIdle.run(args[size]) end)
