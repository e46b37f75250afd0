import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AuthClaims, CurrentUser } from '@sp/auth';

@ApiTags('session')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  /** Who the token says the caller is: role and scope. The console uses it after sign-in. */
  @Get()
  me(@CurrentUser() user: AuthClaims): AuthClaims {
    return user;
  }
}
