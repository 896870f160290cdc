// Avro and Protobuf when the build leaves them out (CAPSTAN_BINARY_FORMATS=OFF): a load-time
// error that says so, instead of a converter that cannot work.
#include "convert/internal/formats.hpp"

namespace capstan::convert::internal {

core::Result<ConverterPtr> MakeAvro(const std::string&, Limits) {
  return core::Fail(core::ErrorCode::kInvalidArgument,
                    "outputRawFormat avro is not in this build (CAPSTAN_BINARY_FORMATS=OFF)");
}

core::Result<ConverterPtr> MakeProtobuf(const std::string&, Limits) {
  return core::Fail(core::ErrorCode::kInvalidArgument,
                    "outputRawFormat protobuf is not in this build (CAPSTAN_BINARY_FORMATS=OFF)");
}

}  // namespace capstan::convert::internal
