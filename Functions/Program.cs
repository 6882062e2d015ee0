using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Hosting;
using Sarthe.Enrolment.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddEnrolmentServices(builder.Configuration).AddEnrolmentTelemetry(builder.Configuration).UseFunctionsWorkerDefaults();
builder.Build().Run();
