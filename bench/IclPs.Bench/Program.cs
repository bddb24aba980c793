if (args is ["load-memory", ..]) return IclPs.Bench.LoadMemoryBench.Run(args[1..]);
Console.WriteLine("bench");
return 0;
