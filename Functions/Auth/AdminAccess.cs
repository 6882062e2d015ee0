using Sarthe.Enrolment.Http;

namespace Sarthe.Enrolment.Auth;

/// <summary>Either the administrator calling, or the 401/403/503 problem to answer instead.</summary>
internal readonly record struct AdminAccess(Administrator? Administrator, ApiResult? Denied);
