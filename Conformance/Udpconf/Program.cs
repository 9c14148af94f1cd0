Console.WriteLine("udpconf 0.1.0");
