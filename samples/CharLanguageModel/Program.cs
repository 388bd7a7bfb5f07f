// A character language model: an LSTM reads Shakespeare one character at a time, learns the next character at every
// step, then writes new text one character after another from a prompt.
using System.Diagnostics;
using System.Globalization;
using CharLanguageModel;
using FastSeq;

// The first 1,000,000 characters train, for two epochs: about 50 s of CPU time. More epochs give better text.
const int TrainingCharacters = 1_000_000;
const int Epochs = 2;
const string Prompt = "ROMEO:";
const int GeneratedCharacters = 400;
const float Temperature = 0.8f;
// The sample fails (exit code 1) unless the model beats the unigram baseline by at least this many bits per character.
const double Margin = 1.0;

var clock = Stopwatch.StartNew();
int[] text = CharText.Load(Path.Combine(AppContext.BaseDirectory, CharText.FileName));
var model = new ShakespeareWriter(seed: CharTraining.Seed);
Console.WriteLine(model.Summary());
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{text.Length:N0} characters of Shakespeare, {CharText.VocabularySize} distinct; training on the first {TrainingCharacters:N0} in windows of {CharTraining.Timesteps}, validating on the last {CharTraining.ValidationCharacters:N0}."));
CharResult result = CharTraining.Run(model, text, TrainingCharacters, Epochs);

bool ok = result.ValidationBits <= result.UnigramBits - Margin;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Validation: {result.ValidationBits:0.00} bits per character (unigram baseline {result.UnigramBits:0.00}; bound: {Margin:0.0} bit below it: {(ok ? "ok" : "too high")})"));

var generated = new int[GeneratedCharacters];
model.Generate(CharText.Encode(Prompt), generated, GenerationOptions.Sampled(Temperature, seed: CharTraining.Seed));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Sampled at temperature {Temperature} with seed {CharTraining.Seed}, after the prompt \"{Prompt}\":"));
Console.WriteLine("Generated: " + Prompt + CharText.Decode(generated));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Done in {clock.Elapsed.TotalSeconds:0} s."));
return ok ? 0 : 1;
