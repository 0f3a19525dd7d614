/* The ICU converter entry points Debian's libxml2.a refers to, for the
 * statically linked hook engine, which links libxml2 without ICU.
 *
 * libxml2 asks ICU for a converter only for a document whose declared
 * encoding neither libxml2 itself (UTF-8, UTF-16, ISO-8859-1, ASCII) nor
 * iconv knows.  libvirt always hands the hook UTF-8, and ICU would cost the
 * engine 30 MB of converter data, so here there is no such converter:
 * ucnv_open fails as ICU fails for an unknown name (U_FILE_ACCESS_ERROR),
 * libxml2 then reports the encoding as unsupported and the domain XML is
 * refused as not well-formed.  The other entry points are reached only with
 * a converter ucnv_open returned, that is never.
 *
 * ICU's headers rename every entry point with its version (ucnv_open_72), so
 * these definitions match the libxml2.a built against the installed ICU. */
#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>

UConverter* ucnv_open(const char* converterName, UErrorCode* err) {
    (void)converterName;
    if (err != NULL && U_SUCCESS(*err))
        *err = U_FILE_ACCESS_ERROR;
    return NULL;
}

void ucnv_close(UConverter* converter) {
    (void)converter;
}

void ucnv_setToUCallBack(UConverter* converter, UConverterToUCallback newAction,
                         const void* newContext, UConverterToUCallback* oldAction,
                         const void** oldContext, UErrorCode* err) {
    (void)converter, (void)newAction, (void)newContext, (void)oldAction, (void)oldContext;
    if (err != NULL && U_SUCCESS(*err))
        *err = U_UNSUPPORTED_ERROR;
}

void ucnv_setFromUCallBack(UConverter* converter, UConverterFromUCallback newAction,
                           const void* newContext, UConverterFromUCallback* oldAction,
                           const void** oldContext, UErrorCode* err) {
    (void)converter, (void)newAction, (void)newContext, (void)oldAction, (void)oldContext;
    if (err != NULL && U_SUCCESS(*err))
        *err = U_UNSUPPORTED_ERROR;
}

void ucnv_convertEx(UConverter* targetCnv, UConverter* sourceCnv, char** target,
                    const char* targetLimit, const char** source, const char* sourceLimit,
                    UChar* pivotStart, UChar** pivotSource, UChar** pivotTarget,
                    const UChar* pivotLimit, UBool reset, UBool flush, UErrorCode* pErrorCode) {
    (void)targetCnv, (void)sourceCnv, (void)target, (void)targetLimit, (void)source;
    (void)sourceLimit, (void)pivotStart, (void)pivotSource, (void)pivotTarget, (void)pivotLimit;
    (void)reset, (void)flush;
    if (pErrorCode != NULL && U_SUCCESS(*pErrorCode))
        *pErrorCode = U_UNSUPPORTED_ERROR;
}

void UCNV_FROM_U_CALLBACK_STOP(const void* context, UConverterFromUnicodeArgs* fromUArgs,
                               const UChar* codeUnits, int32_t length, UChar32 codePoint,
                               UConverterCallbackReason reason, UErrorCode* err) {
    (void)context, (void)fromUArgs, (void)codeUnits, (void)length, (void)codePoint, (void)reason;
    (void)err;
}

void UCNV_TO_U_CALLBACK_STOP(const void* context, UConverterToUnicodeArgs* toUArgs,
                             const char* codeUnits, int32_t length, UConverterCallbackReason reason,
                             UErrorCode* err) {
    (void)context, (void)toUArgs, (void)codeUnits, (void)length, (void)reason, (void)err;
}
