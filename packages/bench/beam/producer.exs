# Workload 9: one self-continuing producer into one consumer that only counts, for batch
# sizes 1, 100 and 1,000 (see produce.exs): msgs/s and the consumer's peak mailbox, each.
Code.require_file("bench.exs", __DIR__)
Code.require_file("produce.exs", __DIR__)

defmodule Producer do
  @batches [1, 100, 1000]

  def run(%{"produced" => total}) do
    Enum.flat_map(@batches, fn batch -> Produce.measure(1, batch, total) end)
  end
end

Bench.main(&Producer.run/1)
