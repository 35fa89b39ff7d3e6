# Workload 4: a token passed around a ring of processes: hops/s.
Code.require_file("bench.exs", __DIR__)

defmodule Ring do
  def run(%{"ringSize" => size, "ringHops" => hops}) do
    parent = self()

    nodes =
      for _ <- 1..size do
        spawn(fn ->
          receive do
            {:next, next} -> loop(next, parent)
          end
        end)
      end

    nodes
    |> Enum.zip(tl(nodes) ++ [hd(nodes)])
    |> Enum.each(fn {node, next} -> send(node, {:next, next}) end)

    t0 = Bench.now_us()
    send(hd(nodes), hops)

    receive do
      :done ->
        rate = Bench.per_second(hops, t0)
        Bench.kill_all(nodes)
        [rate]
    end
  end

  defp loop(next, parent) do
    receive do
      0 -> send(parent, :done)
      hops -> send(next, hops - 1)
    end

    loop(next, parent)
  end
end

Bench.main(&Ring.run/1)
