# Workload 7: a one_for_one Supervisor over a GenServer that crashes right after each
# start, until the count runs out: restarts/s.
Code.require_file("bench.exs", __DIR__)

defmodule Fragile do
  use GenServer

  def start_link({left, parent}), do: GenServer.start_link(__MODULE__, {left, parent})

  @impl true
  def init({left, parent}) do
    if :atomics.sub_get(left, 1, 1) <= 0, do: send(parent, :done), else: send(self(), :crash)
    {:ok, nil}
  end

  @impl true
  def handle_info(:crash, _state), do: raise("crash")
end

defmodule Restarts do
  def run(%{"restarts" => count}) do
    left = :atomics.new(1, [])
    # The first start is not a restart.
    :atomics.put(left, 1, count + 1)
    t0 = Bench.now_us()

    {:ok, sup} =
      Supervisor.start_link([{Fragile, {left, self()}}],
        strategy: :one_for_one,
        max_restarts: count * 2,
        max_seconds: 3600
      )

    receive do
      :done ->
        rate = Bench.per_second(count, t0)
        Supervisor.stop(sup)
        [rate]
    end
  end
end

Bench.main(&Restarts.run/1)
