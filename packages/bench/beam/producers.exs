# Workload 10: many self-continuing producers into one consumer that only counts (see
# produce.exs): msgs/s and the consumer's peak mailbox.
Code.require_file("bench.exs", __DIR__)
Code.require_file("produce.exs", __DIR__)

defmodule Producers do
  def run(%{"produced" => total, "producers" => producers, "producersBatch" => batch}) do
    Produce.measure(producers, batch, total)
  end
end

Bench.main(&Producers.run/1)
