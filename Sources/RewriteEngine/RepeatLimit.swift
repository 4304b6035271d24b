/// ISAPI_Rewrite 2's default for `RepeatLimit`: how many times `[N]` may restart the
/// rules, and separately how many times `[NS]` may repeat one rule, per request.
public let defaultRepeatLimit = 32
